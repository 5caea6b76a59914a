//! nginx-rtmp's statistics (`rtmp_stat all`, XML): per application, per
//! stream, the bytes received, the codecs and picture the encoder declared
//! and, per client, the frames dropped. Only the fields the health sampler
//! uses are read, by tag, from the fixed layout nginx-rtmp writes (no
//! attributes, no nesting of a tag in itself).
//!
//! The stream names of the `live` application are stream keys: this module
//! never returns them. A publisher there is known by its nginx client id,
//! which ingest-events keeps on the session.

/// One publishing client of an application, as nginx-rtmp reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Publisher {
    /// The nginx client id (`clientid` of the hooks).
    pub client_id: String,
    /// Bytes received on the stream since it started.
    pub bytes_in: u64,
    /// nginx-rtmp's own inbound bandwidth estimate, bits per second,
    /// refreshed every 10 s.
    pub bw_in: u64,
    /// Frames dropped on this connection.
    pub dropped: u64,
    /// Milliseconds the stream has existed.
    pub time_ms: u64,
    pub video: Option<Video>,
    pub audio: Option<Audio>,
}

/// The video track the encoder declared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Video {
    pub codec: String,
    pub width: u32,
    pub height: u32,
    pub frame_rate: f64,
}

/// The audio track the encoder declared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Audio {
    pub codec: String,
    pub sample_rate: u32,
    pub channels: u32,
}

/// The sections `<tag>...</tag>` of `text`, in order (not nested in themselves).
fn sections<'a>(text: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let body = &rest[start + open.len()..];
        let Some(end) = body.find(&close) else { break };
        found.push(&body[..end]);
        rest = &body[end + close.len()..];
    }
    found
}

/// The text of the first `<tag>...</tag>` of `text`.
fn value<'a>(text: &'a str, tag: &str) -> Option<&'a str> {
    sections(text, tag).into_iter().next().map(str::trim)
}

fn number<T: std::str::FromStr + Default>(text: &str, tag: &str) -> T {
    value(text, tag)
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

/// The publishers of application `app`: one per stream that has a
/// publishing client.
pub fn publishers(xml: &str, app: &str) -> Vec<Publisher> {
    let mut found = Vec::new();
    for application in sections(xml, "application") {
        // The application's own name comes before its streams.
        let head = application.split("<live>").next().unwrap_or_default();
        if value(head, "name") != Some(app) {
            continue;
        }
        for stream in sections(application, "stream") {
            let Some(client) = sections(stream, "client")
                .into_iter()
                .find(|c| c.contains("<publishing/>"))
            else {
                continue;
            };
            let meta = value(stream, "meta").unwrap_or_default();
            let video = value(meta, "video").map(|v| Video {
                codec: value(v, "codec").unwrap_or_default().to_owned(),
                width: number(v, "width"),
                height: number(v, "height"),
                frame_rate: number(v, "frame_rate"),
            });
            let audio = value(meta, "audio").map(|a| Audio {
                codec: value(a, "codec").unwrap_or_default().to_owned(),
                sample_rate: number(a, "sample_rate"),
                channels: number(a, "channels"),
            });
            // The stream's own counters precede its clients.
            let own = stream.split("<client>").next().unwrap_or_default();
            found.push(Publisher {
                client_id: value(client, "id").unwrap_or_default().to_owned(),
                bytes_in: number(own, "bytes_in"),
                bw_in: number(own, "bw_in"),
                dropped: number(client, "dropped"),
                time_ms: number(own, "time"),
                video,
                audio,
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Debian's nginx-rtmp 1.2.2 answered with ffmpeg publishing
    /// 640x360 at 30 fps through the key and the relay.
    const SAMPLE: &str = r#"<?xml version="1.0" encoding="utf-8" ?>
<rtmp>
<nginx_version>1.22.1</nginx_version>
<bytes_in>596955</bytes_in>
<server>
<application>
<name>live</name>
<live>
<stream>
<name>6f1c2d3e-4b5a-4c6d-8e7f-8091a2b3c4d5</name>
<time>5718</time><bw_in>903992</bw_in>
<bytes_in>592771</bytes_in>
<bw_out>0</bw_out>
<bytes_out>0</bytes_out>
<bw_audio>0</bw_audio>
<bw_video>0</bw_video>
<client><id>7</id><address>127.0.0.1</address><time>5905</time><flashver>FMLE/3.0 (compatible; Lavf59.27</flashver><dropped>3</dropped><avsync>-4</avsync><timestamp>5721</timestamp><publishing/><active/></client>
<client><id>8</id><address>127.0.0.1:1935/hls/x</address><time>5000</time><flashver>ngx-local-relay</flashver><dropped>0</dropped><avsync>0</avsync><timestamp>5721</timestamp><active/></client>
<meta><video><width>640</width><height>360</height><frame_rate>30</frame_rate><codec>H264</codec><profile>Baseline</profile><compat>192</compat><level>3.0</level></video><audio><codec>AAC</codec><profile>LC</profile><channels>1</channels><sample_rate>48000</sample_rate></audio></meta>
<nclients>2</nclients>
<publishing/>
<active/>
</stream>
<stream>
<name>idle</name>
<time>100</time><bw_in>0</bw_in>
<bytes_in>0</bytes_in>
<nclients>0</nclients>
</stream>
<nclients>2</nclients>
</live>
</application>
<application>
<name>hls</name>
<live>
<stream>
<name>00000000-0000-0000-0000-000000000002</name>
<time>5000</time><bw_in>0</bw_in>
<bytes_in>500000</bytes_in>
<client><id>9</id><address>127.0.0.1</address><time>5000</time><flashver>ngx-local-relay</flashver><dropped>0</dropped><avsync>0</avsync><timestamp>5000</timestamp><publishing/><active/></client>
<nclients>1</nclients>
</stream>
<nclients>1</nclients>
</live>
</application>
</server>
</rtmp>"#;

    #[test]
    fn reads_the_publisher_of_each_stream_of_one_application() {
        let live = publishers(SAMPLE, "live");
        assert_eq!(
            live,
            vec![Publisher {
                client_id: "7".into(),
                bytes_in: 592_771,
                bw_in: 903_992,
                dropped: 3,
                time_ms: 5718,
                video: Some(Video {
                    codec: "H264".into(),
                    width: 640,
                    height: 360,
                    frame_rate: 30.0,
                }),
                audio: Some(Audio {
                    codec: "AAC".into(),
                    sample_rate: 48_000,
                    channels: 1,
                }),
            }]
        );
        let hls = publishers(SAMPLE, "hls");
        assert_eq!(hls.len(), 1);
        assert_eq!((hls[0].client_id.as_str(), hls[0].bytes_in), ("9", 500_000));
        assert_eq!(hls[0].video, None);
        assert!(publishers(SAMPLE, "other").is_empty());
    }

    #[test]
    fn never_returns_a_stream_name() {
        let debug = format!("{:?}", publishers(SAMPLE, "live"));
        assert!(!debug.contains("6f1c2d3e"), "{debug}");
    }

    #[test]
    fn tolerates_garbage_and_truncation() {
        assert!(publishers("", "live").is_empty());
        assert!(publishers("<rtmp><server><application><name>live", "live").is_empty());
        let cut = &SAMPLE[..SAMPLE.find("<meta>").expect("meta")];
        assert!(publishers(cut, "live").is_empty());
    }
}
