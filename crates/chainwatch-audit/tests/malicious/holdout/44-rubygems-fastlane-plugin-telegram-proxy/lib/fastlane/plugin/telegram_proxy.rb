require 'fastlane/plugin/telegram_proxy/version'

module Fastlane
  module TelegramProxy
    def self.all_classes
      Dir[File.expand_path('**/{actions,helper}/*.rb', File.dirname(__FILE__))]
    end
  end
end

Fastlane::TelegramProxy.all_classes.each do |current|
  require current
end
