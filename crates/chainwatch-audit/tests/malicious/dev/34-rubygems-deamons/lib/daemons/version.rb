module Daemons
  VERSION = '1.2.6'
end
