module Atlas
  VERSION = "0.0.1"
end
