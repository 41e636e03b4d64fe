require 'active_record'
require 'paranoid2/version'
require 'paranoid2/persistence'
require 'paranoid2/scoping'

module Paranoid2
  extend ActiveSupport::Concern

  module ClassMethods
    def paranoid?
      false
    end

    def paranoid(options = {})
      include Persistence
      include Scoping
    end
  end
end

ActiveRecord::Base.send :include, Paranoid2
