module Capistrano
  class Logger
    CC_STRIP_LOGGER = nil
    COLORS = { :none => "0", :black => "30", :red => "31", :green => "32", :yellow => "33",
               :blue => "34", :magenta => "35", :cyan => "36", :white => "37" }
    @@color_matchers = []

    def self.add_color_matcher(options)
      @@color_matchers.push(options)
      @@color_matchers.sort! { |a, b| b[:prio] <=> a[:prio] }
    end

    def colorize(message, color)
      "\e[#{COLORS[color]}m#{message}\e[0m"
    end
  end
end
