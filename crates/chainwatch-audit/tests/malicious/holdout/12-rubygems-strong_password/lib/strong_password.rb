require 'strong_password/version'
require 'strong_password/nist_bonus_bits'
require 'strong_password/entropy_calculator'
require 'strong_password/strength_checker'

module StrongPassword
end
