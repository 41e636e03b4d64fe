require "atlas/version"
require "atlas/client"

module Atlas
  class Error < StandardError; end
end
