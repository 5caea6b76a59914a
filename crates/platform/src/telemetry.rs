//! Logs and traces: an env filter, JSON or pretty logs, OpenTelemetry OTLP
//! export when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, and W3C trace context
//! carried in HTTP and NATS headers. The returned guard flushes spans on
//! every exit path.

use opentelemetry::{
    global,
    propagation::{Extractor, Injector},
    trace::{TraceContextExt as _, TracerProvider as _},
};
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, layer::SubscriberExt, util::SubscriberInitExt};

use crate::{
    config::LogFormat,
    log_writer::{BatchWriter, BatchWriterGuard},
};

/// Flushes and shuts the trace exporter down when dropped.
#[must_use = "dropping the guard stops trace export"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
    /// Writes the lines still pending when dropped.
    _log_writer: BatchWriterGuard,
}

impl TelemetryGuard {
    /// Exports every finished span now.
    pub fn flush(&self) {
        if let Some(provider) = &self.provider {
            let _ = provider.force_flush();
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            let _ = provider.force_flush();
            let _ = provider.shutdown();
        }
    }
}

/// Installs the global subscriber and, when an endpoint is given, the OTLP
/// exporter.
///
/// Fails when the filter does not parse or the exporter cannot be built.
pub fn init(
    service_name: &'static str,
    filter: &str,
    format: LogFormat,
    otlp_endpoint: Option<&str>,
) -> anyhow::Result<TelemetryGuard> {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_new(filter)?;
    // A provider always exists, so spans carry real trace ids that reach
    // logs and outgoing headers; it exports only when an endpoint is set.
    let mut builder = SdkTracerProvider::builder()
        .with_resource(Resource::builder().with_service_name(service_name).build());
    if let Some(endpoint) = otlp_endpoint {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
            .build()?;
        builder = builder.with_batch_exporter(exporter);
    }
    let provider = builder.build();
    global::set_tracer_provider(provider.clone());
    let otel_layer = tracing_opentelemetry::layer().with_tracer(provider.tracer(service_name));
    let provider = Some(provider);
    let registry = tracing_subscriber::registry().with(filter).with(otel_layer);
    // Lines are formatted on the calling thread and written to stdout in
    // batches by a thread of their own (`log_writer`), so a request never
    // waits for the write nor wakes a thread per line; nothing is dropped.
    let (writer, log_writer) = BatchWriter::stdout()?;
    let result = match format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(writer)
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(tracing_subscriber::fmt::layer().with_writer(writer))
            .try_init(),
    };
    // A subscriber already installed (tests) is not an error.
    let _ = result;
    Ok(TelemetryGuard {
        provider,
        _log_writer: log_writer,
    })
}

/// The W3C headers of the current span's context, to send onward.
pub fn inject_nats(headers: &mut async_nats::HeaderMap) {
    let cx = tracing::Span::current().context();
    global::get_text_map_propagator(|p| p.inject_context(&cx, &mut NatsInjector(headers)));
}

/// Makes `span` a child of the trace carried in NATS headers, if any.
pub fn continue_from_nats(span: &tracing::Span, headers: Option<&async_nats::HeaderMap>) {
    if let Some(headers) = headers {
        let cx = global::get_text_map_propagator(|p| p.extract(&NatsExtractor(headers)));
        let _ = span.set_parent(cx);
    }
}

/// Links `span` to the trace a NATS message carries in its headers (for a
/// span that handles many messages at once).
pub fn link_from_nats(span: &tracing::Span, headers: Option<&async_nats::HeaderMap>) {
    if let Some(headers) = headers {
        let cx = global::get_text_map_propagator(|p| p.extract(&NatsExtractor(headers)));
        let link = cx.span().span_context().clone();
        if link.is_valid() {
            span.add_link(link);
        }
    }
}

/// The `traceparent` of the current span, for storing beside an outbox row.
pub fn current_traceparent() -> Option<String> {
    let mut headers = async_nats::HeaderMap::new();
    inject_nats(&mut headers);
    headers.get("traceparent").map(|v| v.as_str().to_owned())
}

struct NatsInjector<'a>(&'a mut async_nats::HeaderMap);

impl Injector for NatsInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key, value.as_str());
    }
}

struct NatsExtractor<'a>(&'a async_nats::HeaderMap);

impl Extractor for NatsExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(async_nats::HeaderValue::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| k.as_ref()).collect()
    }
}
