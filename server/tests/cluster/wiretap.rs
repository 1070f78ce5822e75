//! Listening to the broker as a test.

use crate::Cluster;
use crate::helpers::*;

/// Every message the nodes publish on the cluster's topics, as they cross the broker.
pub(crate) struct Wiretap {
    payloads: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
    _task: tokio::task::JoinHandle<()>,
}

impl Wiretap {
    /// Subscribes to everything under the cluster's topic before `ready` returns.
    pub(crate) async fn start(cluster: &Cluster) -> Self {
        use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
        let url = url::Url::parse(&cluster.broker.url()).expect("broker url");
        let mut options = MqttOptions::new(
            format!("wiretap-{}", uuid::Uuid::new_v4().simple()),
            url.host_str().expect("host"),
            url.port().expect("port"),
        );
        options.set_max_packet_size(1 << 24, 1 << 24);
        let (client, mut events) = AsyncClient::new(options, 1024);
        let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
        client
            .subscribe(format!("{}/#", cluster.topic), QoS::AtLeastOnce)
            .await
            .expect("subscribe");
        let payloads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = std::sync::Arc::clone(&payloads);
        let task = tokio::spawn(async move {
            let _client = client;
            let mut subscribed_tx = Some(subscribed_tx);
            loop {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        if let Some(tx) = subscribed_tx.take() {
                            let _ = tx.send(());
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(publish))) => {
                        kept.lock().unwrap().push(publish.payload.to_vec());
                    }
                    Ok(_) => {}
                    Err(e) => panic!("the wiretap lost the broker: {e}"),
                }
            }
        });
        subscribed.await.expect("the wiretap is subscribed");
        Self {
            payloads,
            _task: task,
        }
    }

    pub(crate) fn taken(&self) -> Vec<Vec<u8>> {
        self.payloads.lock().unwrap().clone()
    }
}

pub(crate) fn cookie_value(auth: &Auth) -> String {
    match auth {
        Auth::Cookie(c) => c.split_once('=').expect("name=value").1.to_owned(),
        other => panic!("not a cookie: {other:?}"),
    }
}
