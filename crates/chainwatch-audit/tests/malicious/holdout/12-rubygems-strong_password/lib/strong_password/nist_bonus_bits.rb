module StrongPassword
  module NistBonusBits
    def self.bonus_bits(password)
      @bonus_bits ||= {}
      @bonus_bits[password] ||= begin
        calculate_bonus_bits_for(password)
      end
    end

    def self.calculate_bonus_bits_for(password)
      upper = !!(password =~ /[[:upper:]]/)
      lower = !!(password =~ /[[:lower:]]/)
      numeric = !!(password =~ /[[:digit:]]/)
      other = !!(password =~ /[^a-zA-Z0-9 ]/)
      space = !!(password =~ / /)
      bonus_bits = 0
      if upper && lower && other && numeric
        bonus_bits = 6
      elsif (upper && lower) || (upper && numeric) || (lower && numeric)
        bonus_bits = 3
      end
      bonus_bits
    end
  end
end
