using System.ComponentModel.DataAnnotations;

namespace Passline.Retention;

/// <summary><c>Passline:Retention</c> (SPEC 8).</summary>
public sealed class RetentionOptions
{
    public const string Section = "Passline:Retention";

    /// <summary>The longest retention, a hundred years (far more would put the cutoff before the calendar's first day).</summary>
    public const int MaxDays = 36500;

    /// <summary>
    /// <c>Days</c>: how long ended requests, and what is attached to them, are kept after they end. <c>0</c> deletes them
    /// as soon as the statistics of their hour are stored.
    /// </summary>
    [Range(0, MaxDays)]
    public int Days { get; set; } = 30;
}
