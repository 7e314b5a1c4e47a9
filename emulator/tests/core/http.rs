//! The HTTP/1.1 layer over raw TCP: how request bodies arrive (chunked, after `Expect:
//! 100-continue`, in many frames, too large) and keep-alive and HEAD, as SDKs and tools use them.

use std::net::SocketAddr;

use paritytest_emulator::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::client::sigv4;
use crate::fake;

/// One response read off a kept-alive connection (Content-Length framed, as the emulator
/// answers); the answer to a HEAD request (`head_request`) has no body whatever its length says.
async fn read_response(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    head_request: bool,
) -> (u16, String, Vec<u8>) {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed before a response head");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status: u16 = head[9..12].parse().expect("status");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().expect("content-length"));
    let body_len = if head_request || status < 200 {
        0
    } else {
        length
    };
    while buf.len() < head_end + body_len {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed inside a response body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + body_len].to_vec();
    buf.drain(..head_end + body_len);
    (status, head, body)
}

fn signed_head(addr: SocketAddr, method: &str, framing: &str) -> String {
    let (k, v) = sigv4("AKIDEXAMPLE", "us-east-1", "iam");
    format!(
        "{method} / HTTP/1.1\r\nHost: {addr}\r\n{k}: {v}\r\n\
         Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n{framing}\r\n"
    )
}

fn user_name_in(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let start = text.find("<UserName>").expect("a UserName element") + "<UserName>".len();
    let end = text[start..].find("</UserName>").unwrap() + start;
    text[start..end].to_string()
}

#[tokio::test]
async fn bodies_arrive_chunked_after_100_continue_and_in_many_frames() {
    let emu = fake::emulator(Config::default())
        .serve()
        .await
        .expect("start");
    let addr = emu.addr();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut buf = Vec::new();

    // Chunked, with a chunk boundary inside a parameter and a trailer.
    let chunks = ["Action=GetUser&Vers", "ion=2010-05-08&User", "Name=chunky"];
    let mut request = signed_head(addr, "POST", "Transfer-Encoding: chunked\r\n");
    for c in chunks {
        request.push_str(&format!("{:x}\r\n{c}\r\n", c.len()));
    }
    request.push_str("0\r\nX-Trailer: t\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let (status, _, body) = read_response(&mut stream, &mut buf, false).await;
    assert_eq!((status, user_name_in(&body)), (200, "chunky".to_string()));

    // Expect: 100-continue: the body is only sent once the server asked for it.
    let form = "Action=GetUser&Version=2010-05-08&UserName=patient";
    let framing = format!("Expect: 100-continue\r\nContent-Length: {}\r\n", form.len());
    stream
        .write_all(signed_head(addr, "POST", &framing).as_bytes())
        .await
        .unwrap();
    let (status, _, _) = read_response(&mut stream, &mut buf, false).await;
    assert_eq!(status, 100);
    stream.write_all(form.as_bytes()).await.unwrap();
    let (status, _, body) = read_response(&mut stream, &mut buf, false).await;
    assert_eq!((status, user_name_in(&body)), (200, "patient".to_string()));

    // A 3 MiB body written in pieces, the parameter that matters at its very end.
    let mut form = String::from("Action=GetUser&Version=2010-05-08&Pad=");
    form.push_str(&"x".repeat(3 << 20));
    form.push_str("&UserName=last");
    let framing = format!("Content-Length: {}\r\n", form.len());
    stream
        .write_all(signed_head(addr, "POST", &framing).as_bytes())
        .await
        .unwrap();
    for piece in form.as_bytes().chunks(64 * 1024) {
        stream.write_all(piece).await.unwrap();
    }
    let (status, _, body) = read_response(&mut stream, &mut buf, false).await;
    assert_eq!((status, user_name_in(&body)), (200, "last".to_string()));

    // HEAD on the same kept-alive connection: headers only.
    stream
        .write_all(format!("HEAD /_localstack/health HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let (status, head, body) = read_response(&mut stream, &mut buf, true).await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(body.is_empty());

    // Still the same connection: keep-alive survived all of the above.
    let form = "Action=GetUser&Version=2010-05-08&UserName=again";
    let framing = format!("Content-Length: {}\r\n", form.len());
    let request = signed_head(addr, "POST", &framing) + form;
    stream.write_all(request.as_bytes()).await.unwrap();
    let (status, _, body) = read_response(&mut stream, &mut buf, false).await;
    assert_eq!((status, user_name_in(&body)), (200, "again".to_string()));
    emu.shutdown().await;
}

#[tokio::test]
async fn bodies_over_128_mib_are_refused_with_413() {
    let emu = fake::emulator(Config::default())
        .serve()
        .await
        .expect("start");
    let addr = emu.addr();
    // Announced too large: refused before any of it is sent.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let framing = format!("Content-Length: {}\r\n", (128 << 20) + 1);
    stream
        .write_all(signed_head(addr, "POST", &framing).as_bytes())
        .await
        .unwrap();
    let mut buf = Vec::new();
    let (status, _, _) = read_response(&mut stream, &mut buf, false).await;
    assert_eq!(status, 413);

    // Chunked with no announced size: refused once the chunks pass the limit. The server stops
    // reading then, so the chunks are written by a task of their own.
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = signed_head(addr, "POST", "Transfer-Encoding: chunked\r\n");
    let upload = tokio::spawn(async move {
        let chunk = format!("{:x}\r\n{}\r\n", 1 << 20, "y".repeat(1 << 20));
        writer.write_all(head.as_bytes()).await?;
        for _ in 0..129 {
            writer.write_all(chunk.as_bytes()).await?;
        }
        writer.write_all(b"0\r\n\r\n").await
    });
    let mut raw = Vec::new();
    let _ = reader.read_to_end(&mut raw).await;
    assert!(
        raw.starts_with(b"HTTP/1.1 413 "),
        "{}",
        String::from_utf8_lossy(&raw)
    );
    let _ = upload.await;
    emu.shutdown().await;
}
