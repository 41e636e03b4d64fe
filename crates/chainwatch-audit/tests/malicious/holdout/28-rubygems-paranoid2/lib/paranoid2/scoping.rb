module Paranoid2
  module Scoping
    extend ActiveSupport::Concern

    included do
      default_scope { where(deleted_at: nil) }
    end

    module ClassMethods
      def only_deleted
        unscope(where: :deleted_at).where.not(deleted_at: nil)
      end

      def with_deleted
        unscope(where: :deleted_at)
      end
    end
  end
end
