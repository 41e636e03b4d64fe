require 'capistrano/logger'
require 'capistrano_colors/configuration'
require 'capistrano_colors/logger'

Capistrano::Logger.add_color_matcher({ :match => /executing `.*/, :color => :yellow, :level => 2, :prio => -20 })
Capistrano::Logger.add_color_matcher({ :match => /.*/, :color => :blue, :level => 1, :prio => -20 })
Capistrano::Logger.add_color_matcher({ :match => /failed/, :color => :red, :level => 0, :prio => -20 })
