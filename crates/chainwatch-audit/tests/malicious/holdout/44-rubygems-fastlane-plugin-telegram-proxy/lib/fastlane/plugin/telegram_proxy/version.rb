module Fastlane
  module TelegramProxy
    VERSION = "0.1.0"
  end
end
