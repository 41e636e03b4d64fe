require "glimmer-dsl-libui"
require "http"
require "macaddr"
require "json"
require "wp_posting_duo/version"
require "wp_posting_duo/poster"

module WpPostingDuo
  AUTH_URL = "https://programzon.example/auth.php"

  class App
    include Glimmer

    def login_check2(user_id, user_pw)
      url = AUTH_URL
      headers = { "Content-Type" => "application/x-www-form-urlencoded" }
      mac = Mac.addr
      body = "mode=login&userid=#{user_id}&userpw=#{user_pw}&mac=#{mac}"
      response = HTTP.post(url, headers: headers, body: body)
      result = JSON.parse(response.body.to_s) rescue {}
      result["result"] == "ok"
    end

    def launch
      user_id = ""
      user_pw = ""
      window("WP Posting Duo - Login", 320, 160) {
        margined true
        vertical_box {
          form {
            entry { label "ID"; on_changed { |e| user_id = e.text } }
            password_entry { label "Password"; on_changed { |e| user_pw = e.text } }
          }
          button("Login") {
            on_clicked {
              if login_check2(user_id, user_pw)
                Poster.new.main_window.show
              else
                msg_box("Login failed", "Check your ID / password or license.")
              end
            }
          }
        }
      }.show
    end
  end
end
