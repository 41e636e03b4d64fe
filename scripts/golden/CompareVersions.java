// Reads "A<TAB>B" lines and prints -1, 0 or 1 per line, as Maven's ComparableVersion
// orders A and B. Run with maven-artifact on the class path.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class CompareVersions {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        String line;
        while ((line = in.readLine()) != null) {
            String[] p = line.split("\t", -1);
            int c = new ComparableVersion(p[0]).compareTo(new ComparableVersion(p[1]));
            System.out.println(Integer.signum(c));
        }
    }
}
