module Gemsploit
  VERSION = "0.1.1"
end
