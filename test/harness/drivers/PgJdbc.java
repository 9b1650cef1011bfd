// Connects to PostgreSQL with pgjdbc and the jdbc-uri of the chart's connection Secret, as a Java
// application would, and prints "ssl=<bool> user=<name>".
//
//     java -cp postgresql.jar PgJdbc.java JDBC_URI
//
// Exit status 1 with the driver's error on failure. Name resolution is the caller's
// (-Djdk.net.hosts.file).
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;

public class PgJdbc {
    public static void main(String[] args) {
        try (Connection conn = DriverManager.getConnection(args[0]);
             ResultSet rs = conn.createStatement().executeQuery(
                 "SELECT ssl, current_user FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
            rs.next();
            System.out.println("ssl=" + rs.getBoolean(1) + " user=" + rs.getString(2));
        } catch (Exception e) {
            System.out.println(e.getClass().getName() + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
