using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace Passline.Hosting;

/// <summary>
/// Gives memory back to the machine once a busy spell is over (README, Memory). Under load the GC's heaps grow, and
/// glibc's allocator keeps native memory freed under load in its arenas; neither shrinks while the server is idle,
/// because nothing then runs a collection. Every <see cref="Interval"/>, if at least <see cref="BusyBytes"/> were
/// allocated since the last trim and the last interval allocated less than <see cref="QuietBytes"/>, it runs one
/// compacting collection that decommits what it frees (<see cref="GCCollectionMode.Aggressive"/>) and, on glibc,
/// <c>malloc_trim(0)</c>. Measured after flows and generate-link on 2 cores: 43-59 MB back on PostgreSQL, 14-22 on
/// SQLite (two runs each), for a pause of 10-20 ms that only an idle server sees, and the next burst no slower.
/// <c>Passline:Memory:TrimWhenIdle=false</c> turns it off.
/// </summary>
public sealed partial class IdleTrim(
    TimeProvider time, IOptions<IdleTrim.Options> options, ILogger<IdleTrim> logger, IdleTrim.AllocatedBytes? allocated = null) : BackgroundService
{
    public const string Section = "Passline:Memory";

    /// <summary>How often the allocation count is read; a spell is over after one interval this quiet.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>Less than this allocated in an interval is quiet: an idle node's workers and a metrics scrape allocate ~30 KB/s.</summary>
    public const long QuietBytes = 1 << 20;

    /// <summary>
    /// A spell worth a trim. A node whose load stays under <see cref="QuietBytes"/> an interval reaches it after 20 minutes
    /// or more, and trims then; a busier node trims once it goes quiet.
    /// </summary>
    public const long BusyBytes = 256L << 20;

    private bool nativeTrim = OperatingSystem.IsLinux();

    /// <summary>The bytes this process has allocated on the GC heap so far (<see cref="GC.GetTotalAllocatedBytes"/>); replaceable for tests.</summary>
    public delegate long AllocatedBytes();

    public sealed class Options
    {
        public bool TrimWhenIdle { get; set; } = true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.TrimWhenIdle)
        {
            return;
        }

        var read = allocated ?? (() => GC.GetTotalAllocatedBytes());
        var trimmedAt = read();
        var checkedAt = trimmedAt;
        using var timer = new PeriodicTimer(Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = read();
            if (now - checkedAt < QuietBytes && now - trimmedAt >= BusyBytes)
            {
                try
                {
                    Trim();
                }
                catch (Exception e)
                {
                    // Giving memory back is a courtesy: a failure stops it, never the server.
                    LogFailed(logger, e);
                    return;
                }

                now = read();
                trimmedAt = now;
            }

            checkedAt = now;
        }
    }

    private void Trim()
    {
        var before = Environment.WorkingSet;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var afterGc = Environment.WorkingSet;
        if (nativeTrim)
        {
            try
            {
                _ = MallocTrim(0);
            }
            catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
            {
                nativeTrim = false; // not glibc (musl, say): the GC's part still runs
            }
        }

        var after = Environment.WorkingSet;
        LogTrimmed(logger, (before - after) >> 20, (before - afterGc) >> 20, (afterGc - after) >> 20, after >> 20);
    }

    // The runtime loads "libc" as glibc's libc.so.6 on Linux; where that is another C library, the entry point is missing.
    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Idle after a busy spell: gave back {FreedMb} MB ({GcMb} MB from the GC heap, {NativeMb} MB native), {ResidentMb} MB resident")]
    private static partial void LogTrimmed(ILogger logger, long freedMb, long gcMb, long nativeMb, long residentMb);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Giving memory back after a busy spell failed; no longer trying")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

public static class IdleTrimFeature
{
    public static WebApplicationBuilder AddIdleTrim(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<IdleTrim.Options>().BindConfiguration(IdleTrim.Section).ValidateOnStart();
        builder.Services.AddHostedService<IdleTrim>();
        return builder;
    }
}
