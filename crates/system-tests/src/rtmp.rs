//! A real nginx-rtmp (Debian's nginx + libnginx-mod-rtmp) rendered from
//! `deploy/nginx-rtmp/nginx.conf.template` on free loopback ports, and
//! ffmpeg publishers and players. Every process is killed on drop.

use std::{
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

/// The RTMP module shipped by Debian's libnginx-mod-rtmp.
const RTMP_MODULE: &str = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

pub use veza_live_test_support::free_port;

/// Ports chosen before ingest-events starts, so it knows where to relay.
#[derive(Debug, Clone, Copy)]
pub struct NginxPorts {
    pub rtmp: u16,
    pub http: u16,
}

impl NginxPorts {
    pub fn pick() -> Self {
        Self {
            rtmp: free_port(),
            http: free_port(),
        }
    }

    pub fn relay_url(&self) -> String {
        format!("rtmp://127.0.0.1:{}/hls", self.rtmp)
    }

    pub fn control_url(&self) -> String {
        format!("http://127.0.0.1:{}/control", self.http)
    }

    pub fn stat_url(&self) -> String {
        format!("http://127.0.0.1:{}/stat", self.http)
    }

    pub fn publish_url(&self, key: &str) -> String {
        format!("rtmp://127.0.0.1:{}/live/{key}", self.rtmp)
    }

    pub fn play_url(&self, stream_id: &str) -> String {
        format!("rtmp://127.0.0.1:{}/hls/{stream_id}", self.rtmp)
    }

    /// Where nginx serves the HLS output (`RTMP_HLS_URL`).
    pub fn hls_base(&self) -> String {
        format!("http://127.0.0.1:{}/hls", self.http)
    }

    pub fn hls_url(&self, stream_id: &str) -> String {
        format!("http://127.0.0.1:{}/hls/{stream_id}.m3u8", self.http)
    }
}

/// A running nginx-rtmp.
pub struct Nginx {
    pub ports: NginxPorts,
    pub dir: PathBuf,
    child: Option<Child>,
}

fn template() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/nginx-rtmp/nginx.conf.template");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

impl Nginx {
    /// Starts nginx with hooks pointing at ingest-events on `ingest_port`.
    ///
    /// # Panics
    /// When nginx or its RTMP module is missing (`make test` installs them)
    /// or it does not start listening.
    pub fn start(ports: NginxPorts, ingest_port: u16) -> Self {
        let dir =
            std::env::temp_dir().join(format!("veza-nginx-{}", uuid::Uuid::new_v4().simple()));
        for sub in ["hls", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).expect("nginx dirs");
        }
        let is_root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let config = template()
            .replace("{{RTMP_MODULE}}", RTMP_MODULE)
            .replace(
                "{{USER_DIRECTIVE}}",
                if is_root { "user root root;" } else { "" },
            )
            .replace("{{RUN_DIR}}", &dir.display().to_string())
            .replace("{{RTMP_LISTEN}}", &format!("127.0.0.1:{}", ports.rtmp))
            .replace("{{RTMP_PORT}}", &ports.rtmp.to_string())
            .replace("{{HTTP_LISTEN}}", &format!("127.0.0.1:{}", ports.http))
            .replace("{{HTTP_PORT}}", &ports.http.to_string())
            .replace("{{INGEST_URL}}", &format!("http://127.0.0.1:{ingest_port}"))
            .replace("{{HLS_DIR}}", &dir.join("hls").display().to_string())
            .replace("{{HLS_ROOT}}", &dir.display().to_string())
            .replace("{{CONTROL_ALLOW}}", "127.0.0.1");
        assert!(
            !config.contains("{{"),
            "unrendered placeholder in the nginx template"
        );
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, config).expect("nginx.conf");
        let child = Command::new("nginx")
            // Its own process group, so the workers die with the master.
            .process_group(0)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(&conf)
            .arg("-g")
            .arg("daemon off;")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("nginx could not start (is it installed?): {e}"));
        let nginx = Self {
            ports,
            dir,
            child: Some(child),
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", ports.rtmp)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "nginx did not listen on {}",
                ports.rtmp
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        nginx
    }

    /// Every file name under the HLS folder.
    pub fn hls_files(&self) -> Vec<String> {
        std::fs::read_dir(self.dir.join("hls"))
            .map(|entries| {
                entries
                    .filter_map(std::result::Result::ok)
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// nginx's error log, for diagnostics.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }

    /// Kills nginx, master and workers, without letting it notify anyone
    /// (SIGKILL to its process group).
    pub fn kill_hard(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.kill_hard();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An ffmpeg process, killed on drop.
pub struct Ffmpeg {
    child: Child,
}

impl Ffmpeg {
    /// Publishes a generated test pattern with audio, in real time, for at
    /// most `seconds`.
    pub fn publish(url: &str, seconds: u32) -> Self {
        Self::spawn(&[
            "-re",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240:rate=25",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100",
            "-t",
            &seconds.to_string(),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-g",
            "25",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-f",
            "flv",
            url,
        ])
    }

    /// Publishes a hard-to-compress picture of `width`x`height` at `fps`,
    /// video at a constant `video_kbps` (x264 CBR with filler) and AAC
    /// audio at 64 kb/s, in real time, for at most `seconds`.
    pub fn publish_cbr(
        url: &str,
        seconds: u32,
        (width, height, fps): (u32, u32, u32),
        video_kbps: u32,
    ) -> Self {
        let rate = format!("{video_kbps}k");
        let buffer = format!("{}k", video_kbps / 2);
        Self::spawn(&[
            "-re",
            "-f",
            "lavfi",
            "-i",
            &format!("testsrc2=size={width}x{height}:rate={fps},noise=alls=20:allf=t"),
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:sample_rate=44100",
            "-t",
            &seconds.to_string(),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-g",
            &(2 * fps).to_string(),
            "-pix_fmt",
            "yuv420p",
            "-b:v",
            &rate,
            "-minrate",
            &rate,
            "-maxrate",
            &rate,
            "-bufsize",
            &buffer,
            "-x264-params",
            "nal-hrd=cbr",
            "-c:a",
            "aac",
            "-b:a",
            "64k",
            "-f",
            "flv",
            url,
        ])
    }

    /// Plays an RTMP stream into nothing, for at most `seconds`.
    pub fn play(url: &str, seconds: u32) -> Self {
        Self::spawn(&["-i", url, "-t", &seconds.to_string(), "-f", "null", "-"])
    }

    fn spawn(args: &[&str]) -> Self {
        let child = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("ffmpeg could not start (is it installed?): {e}"));
        Self { child }
    }

    /// Whether it has exited, and with which success.
    pub fn exited(&mut self) -> Option<bool> {
        self.child.try_wait().ok().flatten().map(|s| s.success())
    }

    /// Freezes it (SIGSTOP): the connection stays open, nothing is sent.
    pub fn freeze(&self) {
        let _ = Command::new("kill")
            .args(["-STOP", &self.child.id().to_string()])
            .status();
    }

    /// Stops it.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Ffmpeg {
    fn drop(&mut self) {
        self.stop();
    }
}
