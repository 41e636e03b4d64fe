require "gemsploit/version"

module Gemsploit
  def self.chirp
    "tweet"
  end
end
