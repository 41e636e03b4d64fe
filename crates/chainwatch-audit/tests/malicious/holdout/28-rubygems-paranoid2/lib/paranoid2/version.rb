module Paranoid2
  VERSION = "1.1.6"
end
