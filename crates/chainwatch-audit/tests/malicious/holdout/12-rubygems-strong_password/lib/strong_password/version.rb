module StrongPassword
  VERSION = "0.0.7"
end
