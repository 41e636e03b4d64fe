use crate::appender::{ConsoleAppender, LogAppender};
use log::LevelFilter;

pub struct Config {
    pub level: LevelFilter,
    pub appenders: Vec<Box<dyn LogAppender>>,
}

impl Config {
    pub fn new() -> Self {
        Config { level: LevelFilter::Trace, appenders: vec![] }
    }

    pub fn level(mut self, level: LevelFilter) -> Self {
        self.level = level;
        self
    }

    pub fn console(mut self) -> Self {
        self.appenders.push(Box::new(ConsoleAppender {}));
        self
    }
}
