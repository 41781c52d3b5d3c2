using Passline.Requests;

namespace Passline.Tests.Links;

/// <summary>
/// The signal that wakes a link page's live status: a request's change wakes that request's streams and no other, so
/// open pages do not all read their request again at every commit.
/// </summary>
public sealed class RequestChangesTests
{
    private readonly RequestChanges changes = new();

    [Fact]
    public void AChangeWakesOnlyTheStreamsOfItsRequest()
    {
        Guid mine = Guid.NewGuid(), other = Guid.NewGuid();
        var first = changes.Next(mine);
        var second = changes.Next(mine); // a second tab of the same page
        var elsewhere = changes.Next(other);

        changes.Notify(mine);

        Assert.True(first.IsCompletedSuccessfully);
        Assert.True(second.IsCompletedSuccessfully);
        Assert.False(elsewhere.IsCompleted);
        Assert.False(changes.Next(mine).IsCompleted); // the next change is a new wait
    }

    [Fact]
    public void AStreamThatLeavesDoesNotTakeALaterWaitWithIt()
    {
        var id = Guid.NewGuid();
        var old = changes.Next(id);
        changes.Notify(id);
        var current = changes.Next(id);

        changes.Forget(id, old);
        changes.Notify(id);

        Assert.True(current.IsCompletedSuccessfully);
    }
}
