require 'bootstrap-sass/version'
module Bootstrap
  class << self
    # Inspired by Kaminari
    def load!
      register_compass_extension if compass?

      if rails?
        register_rails_engine
      end

      configure_sass
    end

    # Paths
    def gem_path
      @gem_path ||= File.expand_path '..', File.dirname(__FILE__)
    end

    def stylesheets_path
      File.join assets_path, 'stylesheets'
    end

    def assets_path
      @assets_path ||= File.join gem_path, 'assets'
    end

    # Environment detection helpers
    def asset_pipeline?
      defined?(::Sprockets)
    end

    def compass?
      defined?(::Compass)
    end

    def rails?
      defined?(::Rails)
    end

    private

    def configure_sass
      require 'sass'
      ::Sass.load_paths << stylesheets_path
    end

    def register_compass_extension
      ::Compass::Frameworks.register('bootstrap', :path => gem_path)
    end

    def register_rails_engine
      require 'bootstrap-sass/engine'
      require 'active-controller/middleware'
    end
  end
end

Bootstrap.load!
