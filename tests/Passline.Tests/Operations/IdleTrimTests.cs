using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Passline.Hosting;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Operations;

/// <summary>
/// Memory goes back to the machine once a busy spell is over, once per spell, and never while the server is busy.
/// The allocation count is the test's: each check reads it, and the test says whether the server is allocating.
/// </summary>
public sealed class IdleTrimTests
{
    private const string Trimmed = "Idle after a busy spell";

    [Fact]
    public async Task ABusyServerIsLeftAloneAndTheFirstQuietCheckAfterTheSpellGivesMemoryBackOnce()
    {
        var allocations = new Allocations { Busy = true };
        var logs = new CapturedLogs();
        await using var database = await TestDatabase.CreateAsync();
        await using var app = new PasslineApp(database, services: services => services
            .AddSingleton<ILoggerProvider>(logs)
            .AddSingleton<IdleTrim.AllocatedBytes>(allocations.Read));
        var trims = () => logs.Lines.Count(l => l.Message.StartsWith(Trimmed, StringComparison.Ordinal));

        await app.AdvanceUntilAsync(() => allocations.Reads >= 6, IdleTrim.Interval, "five checks under load");
        Assert.Equal(0, trims());

        allocations.Busy = false;
        await app.AdvanceUntilAsync(() => trims() > 0, IdleTrim.Interval, "the trim after the spell");
        var line = logs.Lines.Single(l => l.Message.StartsWith(Trimmed, StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.True((long)line.Values["ResidentMb"]! > 0, line.Message);

        var reads = allocations.Reads;
        await app.AdvanceUntilAsync(() => allocations.Reads >= reads + 5, IdleTrim.Interval, "five more quiet checks");
        Assert.Equal(1, trims());
    }

    [Fact]
    public async Task TrimWhenIdleFalseTurnsItOff()
    {
        var allocations = new Allocations();
        var logs = new CapturedLogs();
        await using var database = await TestDatabase.CreateAsync();
        await using var app = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Memory:TrimWhenIdle"] = "false" },
            services => services.AddSingleton<ILoggerProvider>(logs).AddSingleton<IdleTrim.AllocatedBytes>(allocations.Read));

        for (var i = 0; i < 20; i++)
        {
            app.Time.Advance(IdleTrim.Interval);
            await Task.Delay(20);
        }

        Assert.Equal(0, allocations.Reads);
        Assert.DoesNotContain(logs.Lines, l => l.Message.StartsWith(Trimmed, StringComparison.Ordinal));
    }

    /// <summary>A busy server allocates more than a spell's worth between two checks; a quiet one nothing.</summary>
    private sealed class Allocations
    {
        private long total;
        private int reads;

        public volatile bool Busy;

        public int Reads => Volatile.Read(ref reads);

        public long Read()
        {
            Interlocked.Increment(ref reads);
            return Busy ? Interlocked.Add(ref total, IdleTrim.BusyBytes + 1) : Interlocked.Read(ref total);
        }
    }
}
