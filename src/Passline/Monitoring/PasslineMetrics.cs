using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Passline.Requests;

namespace Passline.Monitoring;

/// <summary>
/// Passline's own instruments (SPEC 8), exported with the ASP.NET Core, Kestrel and runtime meters at <c>/metrics</c>
/// in the Prometheus format. Tagged by instance, a small set, so that one deployment's instances can be told apart.
/// </summary>
public sealed class PasslineMetrics
{
    public const string MeterName = "Passline";

    private readonly Counter<long> requestsCreated;
    private readonly Counter<long> linkClicks;
    private readonly Counter<long> messagesReceived;
    private readonly Counter<long> requestsEnded;
    private readonly Histogram<double> timeToVerification;
    private readonly Counter<long> deliveries;
    private readonly Counter<long> deliveryReports;
    private readonly Counter<long> retentionDeleted;

    /// <summary>Each instance's tag value, written once instead of on every measurement (a deployment has a few).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, string> instanceTags = new();

    public PasslineMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        requestsCreated = meter.CreateCounter<long>("passline.requests.created", description: "OTP requests created (generate-link, request-code)");
        linkClicks = meter.CreateCounter<long>("passline.link.clicks", description: "Link pages opened");
        messagesReceived = meter.CreateCounter<long>("passline.messages.received", description: "WhatsApp messages received, by outcome");
        requestsEnded = meter.CreateCounter<long>("passline.requests.ended", description: "OTP requests ended, by final status and reason");
        timeToVerification = meter.CreateHistogram<double>("passline.verification.duration", unit: "s",
            description: "Time from generate-link to Verify",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800] });
        deliveries = meter.CreateCounter<long>("passline.deliveries", description: "Delivery attempts of WhatsApp messages and callbacks, by outcome");
        deliveryReports = meter.CreateCounter<long>("passline.delivery.reports",
            description: "Delivery statuses providers reported for sent WhatsApp messages (sent, delivered, read, failed)");
        retentionDeleted = meter.CreateCounter<long>("passline.retention.deleted", description: "Rows deleted by the retention rule, by table");
    }

    public void RequestCreated(Guid instance, string otpType) =>
        requestsCreated.Add(1, new("instance", Tag(instance)), new("otp_type", otpType));

    public void LinkClicked(Guid instance) => linkClicks.Add(1, new KeyValuePair<string, object?>("instance", Tag(instance)));

    public void MessageReceived(Guid instance, string outcome) =>
        messagesReceived.Add(1, new("instance", Tag(instance)), new("outcome", outcome));

    public void RequestEnded(Guid instance, string otpType, OtpStatus status, string? reason, TimeSpan? sinceCreated)
    {
        requestsEnded.Add(1, new("instance", Tag(instance)), new("otp_type", otpType), new("status", status.Name()), new("reason", reason ?? ""));
        if (status == OtpStatus.Verified && sinceCreated is { } elapsed)
        {
            timeToVerification.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("instance", Tag(instance)));
        }
    }

    /// <param name="channel"><c>simulator</c>, <c>waha</c>, <c>cloud-api</c> or <c>callback</c>.</param>
    public void Delivered(string channel, string outcome) =>
        deliveries.Add(1, new("channel", channel), new("outcome", outcome));

    /// <param name="channel"><c>waha</c> or <c>cloud-api</c>.</param>
    public void DeliveryReported(string channel, string status) =>
        deliveryReports.Add(1, new("channel", channel), new("status", status));

    public void RetentionDeleted(string table, int rows) => retentionDeleted.Add(rows, new KeyValuePair<string, object?>("table", table));

    private string Tag(Guid instance) => instanceTags.GetOrAdd(instance, static id => id.ToString());

    /// <summary>
    /// Meters whose instruments have a handful of series each (GC generations, Kestrel's endpoints). OpenTelemetry sets
    /// aside room for every series an instrument may have when it creates the instrument's stream: 2,000 by default,
    /// about 150 KB each, on the large object heap. The runtime's 19 instruments and Kestrel's 8 took about 4 MB of it
    /// that way (27 times 150 KB; committed, though mostly never written, so the resident memory did not show it); the
    /// instance-tagged instruments (Passline's, HTTP server and client) keep the default.
    /// </summary>
    private static readonly HashSet<string> FewSeries = ["System.Runtime", "Microsoft.AspNetCore.Server.Kestrel"];

    private const int FewSeriesLimit = 100;

    public static IServiceCollection AddPasslineMetrics(IServiceCollection services)
    {
        services.AddSingleton<PasslineMetrics>();
        services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("passline")).WithMetrics(metrics => metrics
            .AddMeter(MeterName, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime", "System.Net.Http")
            .AddView(instrument => FewSeries.Contains(instrument.Meter.Name) ? new MetricStreamConfiguration { CardinalityLimit = FewSeriesLimit } : null)
            .AddPrometheusExporter());
        return services;
    }
}
