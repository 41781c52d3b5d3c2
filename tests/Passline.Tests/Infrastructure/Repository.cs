namespace Passline.Tests.Infrastructure;

/// <summary>The repository the tests were built from: the folder above the test binaries that holds <c>Passline.slnx</c>.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Passline.slnx")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"No Passline.slnx above {AppContext.BaseDirectory}.");
    }
}
