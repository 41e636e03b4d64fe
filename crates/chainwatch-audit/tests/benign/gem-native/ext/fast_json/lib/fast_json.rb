require "fast_json/fast_json"

module FastJson
  def self.parse(text)
    Parser.new(text).parse
  end
end
