<?php
// Fills a MariaDB table the way a Laravel app does: the users table of Laravel's default
// migration (2014_10_12_000000_create_users_table), passwords from PHP's password_hash()
// as Laravel's Hash facade calls it (bcrypt by default, argon2id when configured).
// Used by examples-wasm/presets_test.go:
//
//     php laravel_fill.php HOST PORT USER DBNAME TABLE
[$host, $port, $user, $db, $table] = array_slice($argv, 1, 5);
$pdo = new PDO("mysql:host=$host;port=$port;dbname=$db;charset=utf8mb4", $user, '',
    [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
$pdo->exec("CREATE TABLE `$table` (
  `id` bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `name` varchar(255) NOT NULL,
  `email` varchar(255) NOT NULL UNIQUE,
  `email_verified_at` timestamp NULL DEFAULT NULL,
  `password` varchar(255) NOT NULL,
  `remember_token` varchar(100) DEFAULT NULL,
  `created_at` timestamp NULL DEFAULT NULL,
  `updated_at` timestamp NULL DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci");
$ins = $pdo->prepare("INSERT INTO `$table` (name, email, email_verified_at, password, created_at, updated_at)
  VALUES (?, ?, ?, ?, NOW(), NOW())");
$users = [
    ['Leo Fischer', 'Leo@Example.com', 'leo-bcrypt-pass', PASSWORD_BCRYPT, ['cost' => 12], true],
    ['Ana Argon', 'ana@example.com', 'ana-argon2-pass', PASSWORD_ARGON2ID, [], false],
    ['Bob Ten', 'bob@example.com', 'bob-bcrypt-pass', PASSWORD_BCRYPT, ['cost' => 10], true],
];
foreach ($users as [$name, $email, $pw, $algo, $opts, $verified]) {
    $ins->execute([$name, $email, $verified ? date('Y-m-d H:i:s') : null, password_hash($pw, $algo, $opts)]);
}
