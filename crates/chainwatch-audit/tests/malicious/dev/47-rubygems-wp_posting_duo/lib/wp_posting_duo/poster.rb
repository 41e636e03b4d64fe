require "selenium-webdriver"

module WpPostingDuo
  class Poster
    include Glimmer

    def post(site, wp_user, wp_pass, title, content)
      driver = Selenium::WebDriver.for :chrome
      driver.navigate.to "#{site}/wp-login.php"
      driver.find_element(id: "user_login").send_keys(wp_user)
      driver.find_element(id: "user_pass").send_keys(wp_pass)
      driver.find_element(id: "wp-submit").click
      driver.navigate.to "#{site}/wp-admin/post-new.php"
      driver.find_element(css: ".editor-post-title__input").send_keys(title)
      driver.find_element(css: ".block-editor-default-block-appender__content").send_keys(content)
      driver.quit
    end

    def main_window
      window("WP Posting Duo", 640, 480) {
        vertical_box {
          label("Configure sites, accounts and schedule, then press Start.")
          button("Start") { on_clicked { } }
        }
      }
    end
  end
end
