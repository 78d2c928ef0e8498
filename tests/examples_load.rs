//! The example servers, run as processes with 2 workers, under many connections: every
//! connection answered, every byte checked.

mod support;

use std::time::Duration;

use runtime::net::TcpStream;
use support::{bounded, rt, ExampleServer};

const LIMIT: Duration = Duration::from_secs(120);

#[test]
fn echo_answers_every_connection_with_every_byte() {
    echo_answers_every_connection(&[]);
}

#[test]
fn unbuffered_echo_answers_every_connection_with_every_byte() {
    echo_answers_every_connection(&["--unbuffered"]);
}

#[test]
fn unbuffered_echo_keeps_a_reply_the_socket_does_not_take_at_once() {
    // Far more than the socket buffers hold, written while the echo is read: the server's
    // writes fill the socket and it must keep the rest of each reply until there is room.
    let server = ExampleServer::start("echo", &["--unbuffered"]);
    let addr = server.addr;
    rt(2).block_on(bounded(LIMIT, async move {
        let payload: Vec<u8> = (0..8 << 20).map(|i: u32| (i ^ (i >> 11)) as u8).collect();
        let (mut r, mut w) = TcpStream::connect(addr).await.unwrap().into_split();
        let expected = payload.clone();
        let writer = runtime::spawn(async move { w.write_all(&payload).await });
        let mut back = vec![0; expected.len()];
        r.read_exact(&mut back).await.unwrap();
        writer.await.unwrap().unwrap();
        assert!(back == expected, "the echo differs from what was sent");
    }));
}

fn echo_answers_every_connection(flags: &[&str]) {
    let server = ExampleServer::start("echo", flags);
    let addr = server.addr;
    rt(2).block_on(bounded(LIMIT, async move {
        let clients: Vec<_> = (0..200u32)
            .map(|c| {
                runtime::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    for m in 0..20u32 {
                        let msg: Vec<u8> = (0..1024u32)
                            .map(|i| (i.wrapping_mul(31) ^ c ^ (m << 3)) as u8)
                            .collect();
                        stream.write_all(&msg).await.unwrap();
                        let mut back = vec![0; msg.len()];
                        stream.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, msg, "connection {c}, message {m}");
                    }
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    }));
}

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, World!";

#[test]
fn hello_http_answers_every_request_of_every_connection() {
    let server = ExampleServer::start("hello_http", &[]);
    let addr = server.addr;
    rt(2).block_on(bounded(LIMIT, async move {
        let clients: Vec<_> = (0..256u32)
            .map(|c| {
                runtime::spawn(async move {
                    let mut stream = TcpStream::connect(addr).await.unwrap();
                    for round in 0..10u32 {
                        // Some rounds pipeline several requests in one write.
                        let pipelined = 1 + (c + round) as usize % 3;
                        let request = format!("GET /{c}/{round} HTTP/1.1\r\nHost: x\r\n\r\n");
                        stream
                            .write_all(request.repeat(pipelined).as_bytes())
                            .await
                            .unwrap();
                        let mut back = vec![0; RESPONSE.len() * pipelined];
                        stream.read_exact(&mut back).await.unwrap();
                        assert_eq!(back, RESPONSE.repeat(pipelined), "connection {c}");
                    }
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    }));
}
