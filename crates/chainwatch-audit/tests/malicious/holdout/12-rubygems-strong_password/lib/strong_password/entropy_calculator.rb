module StrongPassword
  module EntropyCalculator
    def self.bits(password)
      length = password.length
      bits = if length > 20
        4 + (7 * 2) + (12 * 1.5) + length - 20
      elsif length > 8
        4 + (7 * 2) + ((length - 8) * 1.5)
      elsif length > 1
        4 + ((length - 1) * 2)
      else
        (length == 1 ? 4 : 0)
      end
      bits + NistBonusBits.bonus_bits(password)
    end
  end
end
