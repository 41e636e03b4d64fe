module Bootstrap
  VERSION       = '3.2.0.3'
  BOOTSTRAP_SHA = 'b3f2a1c1e0a7b8c5d2d4e6f8a9b0c1d2e3f4a5b6'
end
