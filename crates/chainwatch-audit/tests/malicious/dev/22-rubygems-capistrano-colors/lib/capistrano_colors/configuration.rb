module CapistranoColors
  module Configuration
    def colorize(options)
      if options.class == Array
        options.each { |opt| Capistrano::Logger.add_color_matcher(opt) }
      else
        Capistrano::Logger.add_color_matcher(options)
      end
    end
  end
end
