//! Many clients at once: conflicting creates give exactly one success, and nothing answers 5xx.

use paritytest_emulator::Config;

use crate::client::query;
use crate::fake;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conflicting_creates_and_a_burst_of_reads() {
    let emu = fake::emulator(Config::default()).serve().await.unwrap();
    let addr = emu.addr();

    let creates: Vec<_> = (0..32)
        .map(|_| {
            tokio::spawn(async move {
                query(addr, "iam", "test", "Action=CreateUser&UserName=same").await
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for c in creates {
        statuses.push(c.await.unwrap().status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        31,
        "{statuses:?}"
    );

    let readers: Vec<_> = (0..64)
        .map(|i| {
            tokio::spawn(async move {
                let mut bad = Vec::new();
                for j in 0..25 {
                    let form = format!("Action=GetUser&UserName=u{i}-{j}");
                    let r = query(addr, "iam", "test", &form).await;
                    if r.status != 200
                        || !r.text().contains(&format!("<UserName>u{i}-{j}</UserName>"))
                    {
                        bad.push((r.status, r.text()));
                    }
                }
                bad
            })
        })
        .collect();
    for r in readers {
        let bad = r.await.unwrap();
        assert!(bad.is_empty(), "{bad:?}");
    }
    emu.shutdown().await;
}
