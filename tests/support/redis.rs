//! A real Redis server for one test: Debian's `redis-server` (or `$ASTERISM_TEST_REDIS_SERVER`)
//! started on a free loopback port with nothing saved to disk, stopped when dropped. A missing
//! server fails the test with what to install (`.ci/run` installs it).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl RedisServer {
    pub fn start() -> RedisServer {
        let program = std::env::var("ASTERISM_TEST_REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_string());
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let dir = tempfile::tempdir().unwrap();
            let spawned = Command::new(&program)
                .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"])
                .arg("--dir")
                .arg(dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            let mut child = spawned.unwrap_or_else(|e| {
                panic!("cannot start {program} ({e}): install Redis (apt-get install redis-server, as .ci/run does) or set ASTERISM_TEST_REDIS_SERVER")
            });
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if child.try_wait().unwrap().is_some() {
                    break; // the port was taken meanwhile: another one
                }
                if ping(port) {
                    return RedisServer { child, port, _dir: dir };
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("{program} did not start on a free loopback port");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the server: it keeps its connections and answers
    /// nothing while frozen.
    pub fn freeze(&self, frozen: bool) {
        let signal = if frozen { "-STOP" } else { "-CONT" };
        assert!(self.signal(signal), "kill {signal}");
    }

    fn signal(&self, signal: &str) -> bool {
        let mut kill = Command::new("kill");
        kill.args([signal, &self.child.id().to_string()]).stderr(Stdio::null());
        kill.status().is_ok_and(|s| s.success())
    }

    /// A synchronous connection for the test's own reads and writes.
    pub fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url()).unwrap().get_connection().unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.signal("-CONT");
        self.kill();
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut answer = [0; 7];
    stream.write_all(b"PING\r\n").is_ok() && stream.read_exact(&mut answer).is_ok() && &answer == b"+PONG\r\n"
}
