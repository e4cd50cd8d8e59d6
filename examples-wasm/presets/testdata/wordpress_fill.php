<?php
// Fills a MariaDB wp_users table as WordPress does: its schema (wp-admin/includes/schema.php),
// WordPress 6.8's wp_hash_password() ($wp$: bcrypt of the base64 HMAC-SHA384 of the
// password), the phpass portable hashes ($P$) WordPress wrote before 6.8, and the plain
// MD5 of WordPress 2.4 and earlier. phpass is not in Debian; crypt_private below is its
// portable algorithm (PasswordHash::HashPassword with $portable_hashes = true, 2^13
// rounds as WordPress sets it). Used by examples-wasm/presets_test.go:
//
//     php wordpress_fill.php HOST PORT USER DBNAME TABLE
[$host, $port, $user, $db, $table] = array_slice($argv, 1, 5);

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function encode64(string $input, int $count): string {
    $output = '';
    $i = 0;
    do {
        $value = ord($input[$i++]);
        $output .= ITOA64[$value & 0x3f];
        if ($i < $count) $value |= ord($input[$i]) << 8;
        $output .= ITOA64[($value >> 6) & 0x3f];
        if ($i++ >= $count) break;
        if ($i < $count) $value |= ord($input[$i]) << 16;
        $output .= ITOA64[($value >> 12) & 0x3f];
        if ($i++ >= $count) break;
        $output .= ITOA64[($value >> 18) & 0x3f];
    } while ($i < $count);
    return $output;
}

function phpass_hash(string $password, int $log2 = 13): string {
    $salt = encode64(random_bytes(6), 6);
    $setting = '$P$' . ITOA64[$log2] . $salt;
    $hash = md5($salt . $password, true);
    $count = 1 << $log2;
    do {
        $hash = md5($hash . $password, true);
    } while (--$count);
    return $setting . encode64($hash, 16);
}

function wp68_hash(string $password): string {
    // wp_hash_password() of WordPress 6.8 (wp-includes/pluggable.php).
    $password_to_hash = base64_encode(hash_hmac('sha384', trim($password), 'wp-sha384', true));
    return '$wp' . password_hash($password_to_hash, PASSWORD_BCRYPT);
}

$pdo = new PDO("mysql:host=$host;port=$port;dbname=$db;charset=utf8mb4", $user, '',
    [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
$pdo->exec("CREATE TABLE `$table` (
  ID bigint(20) unsigned NOT NULL auto_increment,
  user_login varchar(60) NOT NULL default '',
  user_pass varchar(255) NOT NULL default '',
  user_nicename varchar(50) NOT NULL default '',
  user_email varchar(100) NOT NULL default '',
  user_url varchar(100) NOT NULL default '',
  user_registered datetime NOT NULL default '0000-00-00 00:00:00',
  user_activation_key varchar(255) NOT NULL default '',
  user_status int(11) NOT NULL default '0',
  display_name varchar(250) NOT NULL default '',
  PRIMARY KEY  (ID),
  KEY user_login_key (user_login),
  KEY user_nicename (user_nicename),
  KEY user_email (user_email)
) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci");
$ins = $pdo->prepare("INSERT INTO `$table` (user_login, user_pass, user_nicename, user_email, user_registered, user_status, display_name)
  VALUES (?, ?, ?, ?, NOW(), ?, ?)");
$users = [
    ['Leo', wp68_hash('leo-wp68-pass'), 'Leo@Example.com', 0, 'Leo F'],
    ['ana', phpass_hash('ana-phpass-pass'), 'ana@example.com', 0, 'Ana'],
    ['bob', md5('bob-md5-pass'), 'bob@example.com', 0, 'Bob'],
    ['carl', phpass_hash('carl-spam-pass'), 'carl@example.com', 1, 'Carl'],
    ['dan', md5('dan-md5-pass'), 'dan@example.com', 0, 'Dan'],
];
foreach ($users as [$login, $hash, $email, $status, $display]) {
    $ins->execute([$login, $hash, strtolower($login), $email, $status, $display]);
}
