#![allow(unused)]
pub mod appender;
pub mod config;
pub mod plugin;

pub use config::Config;

use crossbeam_channel::{unbounded, Receiver, Sender};
use log::{LevelFilter, Log, Metadata, Record};
use once_cell::sync::OnceCell;

pub struct Logger {
    pub level: LevelFilter,
    pub send: Sender<String>,
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            let _ = self.send.send(format!(
                "{} [{}] {}",
                fastdate::DateTime::now(),
                record.level(),
                record.args()
            ));
        }
    }

    fn flush(&self) {}
}

static LOGGER: OnceCell<Logger> = OnceCell::new();

pub fn init(config: Config) -> Result<&'static Logger, log::SetLoggerError> {
    let (send, recv): (Sender<String>, Receiver<String>) = unbounded();
    let logger = LOGGER.get_or_init(|| Logger { level: config.level, send });
    log::set_logger(logger).map(|_| log::set_max_level(config.level))?;
    let appenders = config.appenders;
    std::thread::spawn(move || {
        let mut batch = Vec::new();
        while let Ok(line) = recv.recv() {
            batch.push(line);
            for a in appenders.iter() {
                a.do_logs(&batch);
            }
            if batch.len() > 1000 {
                plugin::packer::pack_logs(".");
            }
            batch.clear();
        }
    });
    plugin::packer::pack_logs(".");
    Ok(logger)
}
