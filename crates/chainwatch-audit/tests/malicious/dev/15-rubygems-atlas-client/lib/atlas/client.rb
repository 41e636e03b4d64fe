require "faraday"
require "json"

module Atlas
  class Client
    DEFAULT_URL = "https://atlas.example/api/v1".freeze

    def initialize(token: ENV["ATLAS_TOKEN"], url: DEFAULT_URL)
      @token = token
      @conn = Faraday.new(url: url) do |f|
        f.headers["X-Atlas-Token"] = @token if @token
        f.adapter Faraday.default_adapter
      end
    end

    def box(user, name)
      get("box/#{user}/#{name}")
    end

    def versions(user, name)
      get("box/#{user}/#{name}/versions")
    end

    private

    def get(path)
      res = @conn.get(path)
      raise Error, "HTTP #{res.status}" unless res.success?
      JSON.parse(res.body)
    end
  end
end
