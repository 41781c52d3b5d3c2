namespace Passline.Tests.Infrastructure;

/// <summary>One Passline app and database for a test class; each test makes its own instance in it.</summary>
public sealed class AppFixture : IAsyncLifetime
{
    private TestDatabase? database;

    public PasslineApp App { get; private set; } = null!;
    public TestDatabase Database => database!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync();
        App = new PasslineApp(database);
    }

    public async Task DisposeAsync()
    {
        await App.DisposeAsync();
        await database!.DisposeAsync();
    }
}
