//! A synchronous client for the PostgreSQL database.

pub struct Config {
    host: Option<String>,
    port: u16,
    user: Option<String>,
    dbname: Option<String>,
}

impl Config {
    pub fn new() -> Config {
        Config { host: None, port: 5432, user: None, dbname: None }
    }

    pub fn host(&mut self, host: &str) -> &mut Config {
        self.host = Some(host.to_string());
        self
    }

    pub fn port(&mut self, port: u16) -> &mut Config {
        self.port = port;
        self
    }

    pub fn user(&mut self, user: &str) -> &mut Config {
        self.user = Some(user.to_string());
        self
    }

    pub fn dbname(&mut self, dbname: &str) -> &mut Config {
        self.dbname = Some(dbname.to_string());
        self
    }
}

impl Default for Config {
    fn default() -> Config {
        Config::new()
    }
}
