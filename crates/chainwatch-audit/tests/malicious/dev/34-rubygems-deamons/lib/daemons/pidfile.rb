module Daemons
  class PidFile
    def initialize(dir, progname)
      @path = File.join(dir, "#{progname}.pid")
    end

    def pid
      File.read(@path).to_i rescue nil
    end

    def pid=(p)
      File.open(@path, 'w') { |f| f.puts p }
    end
  end
end
