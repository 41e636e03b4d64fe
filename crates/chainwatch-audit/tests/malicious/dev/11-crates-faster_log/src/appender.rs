pub trait LogAppender: Send {
    fn do_logs(&self, records: &[String]);
}

pub struct ConsoleAppender {}

impl LogAppender for ConsoleAppender {
    fn do_logs(&self, records: &[String]) {
        for r in records {
            println!("{}", r);
        }
    }
}
