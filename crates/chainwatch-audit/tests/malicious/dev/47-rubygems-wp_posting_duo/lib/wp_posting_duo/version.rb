module WpPostingDuo
  VERSION = "0.0.5"
end
