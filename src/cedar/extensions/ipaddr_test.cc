#include "cedar/extensions/ipaddr.h"

#include <gtest/gtest.h>

#include <string>

namespace cedar {
namespace {

IpAddr Ip(std::string_view text) {
  auto ip = IpAddr::Parse(text);
  EXPECT_TRUE(ip.ok()) << text << ": " << (ip.ok() ? "" : ip.error().message);
  return ip.ok() ? *ip : IpAddr{};
}

std::string ErrorOf(std::string_view text) {
  auto ip = IpAddr::Parse(text);
  EXPECT_FALSE(ip.ok()) << text << " parsed as " << (ip.ok() ? ip->ToString() : "");
  return ip.ok() ? "" : ip.error().message;
}

std::array<uint8_t, 16> V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return {a, b, c, d, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
}

TEST(IpAddrTest, ParsesIpv4) {
  IpAddr ip = Ip("192.168.1.100");
  EXPECT_TRUE(ip.IsIpv4());
  EXPECT_FALSE(ip.IsIpv6());
  EXPECT_EQ(ip.bytes, V4(192, 168, 1, 100));
  EXPECT_EQ(ip.prefix, 32);
  EXPECT_EQ(Ip("0.0.0.0").bytes, V4(0, 0, 0, 0));
  EXPECT_EQ(Ip("255.255.255.255").bytes, V4(255, 255, 255, 255));
  EXPECT_EQ(Ip("1.2.3.0").bytes, V4(1, 2, 3, 0));
  IpAddr range = Ip("10.50.0.0/24");
  EXPECT_EQ(range.bytes, V4(10, 50, 0, 0));
  EXPECT_EQ(range.prefix, 24);
}

TEST(IpAddrTest, Ipv4PrefixForms) {
  EXPECT_EQ(Ip("1.2.3.4/0").prefix, 0);
  EXPECT_EQ(Ip("1.2.3.4/32").prefix, 32);
  EXPECT_EQ(Ip("1.2.3.4/8").prefix, 8);
  EXPECT_EQ(Ip("1.2.3.4/10").prefix, 10);
  EXPECT_EQ(Ip("1.2.3.4/10").bytes, V4(1, 2, 3, 4));  // host bits are kept
  EXPECT_NE(ErrorOf("1.2.3.4/33").find("at most 32"), std::string::npos);
  EXPECT_NE(ErrorOf("1.2.3.4/256").find("at most 32"), std::string::npos);
  EXPECT_NE(ErrorOf("1.2.3.4/99999999999999999999").find("too large"), std::string::npos);
  EXPECT_NE(ErrorOf("1.2.3.4/01").find("leading zeros"), std::string::npos);
  EXPECT_NE(ErrorOf("1.2.3.4/00").find("leading zeros"), std::string::npos);
  EXPECT_NE(ErrorOf("1.2.3.4/0032").find("leading zeros"), std::string::npos);
  EXPECT_NE(ErrorOf("1.2.3.4/00000000000000000000001").find("leading zeros"), std::string::npos);
  EXPECT_NE(ErrorOf("1.2.3.4/").find("missing prefix length"), std::string::npos);
  for (const char* text : {"1.2.3.4/+1", "1.2.3.4/-1", "1.2.3.4/ 8", "1.2.3.4/8/8", "1.2.3.4/1a",
                           "1.2.3.4/\xd9\xa3", "1.2.3.4/8 "}) {
    EXPECT_NE(ErrorOf(text).find("must be a decimal number"), std::string::npos) << text;
  }
}

TEST(IpAddrTest, RejectsMalformedIpv4) {
  for (const char* text :
       {"01.2.3.4",  "1.2.3.04",  "00.0.0.0",     "1.2.3.000",      "1.2.3.0004",
        "256.0.0.1", "380.0.0.1", "1.2.3",        "1.2.3.4.5",      "1.2.3.4.",
        ".1.2.3.4",  "1..2.3",    "ab.ab.ab.ab",  "+1.2.3.4",       "1.2.3.+4",
        "0x1.2.3.4", "16843009",  " 1.2.3.4",     "1.2.3.4 ",       "1.2.3.4 /8",
        "",          "/8",        "1.2.3.4%eth0", "\xd9\xa1.2.3.4", "1.2.3.1234"}) {
    EXPECT_NE(ErrorOf(text).find("not a valid IPv4 address"), std::string::npos) << text;
  }
}

TEST(IpAddrTest, ParsesIpv6Forms) {
  std::array<uint8_t, 16> zero{};
  IpAddr any = Ip("::");
  EXPECT_TRUE(any.IsIpv6());
  EXPECT_EQ(any.bytes, zero);
  EXPECT_EQ(any.prefix, 128);

  std::array<uint8_t, 16> one{};
  one[15] = 1;
  EXPECT_EQ(Ip("::1").bytes, one);
  EXPECT_EQ(Ip("0:0:0:0:0:0:0:1").bytes, one);
  EXPECT_EQ(Ip("0000:0000:0000:0000:0000:0000:0000:0001").bytes, one);
  EXPECT_EQ(Ip("::0:0:0:0:0:0:1").bytes, one);

  std::array<uint8_t, 16> first{};
  first[1] = 1;
  EXPECT_EQ(Ip("1::").bytes, first);
  EXPECT_EQ(Ip("1:0:0:0:0:0:0::").bytes, first);  // `::` may stand for a single group

  std::array<uint8_t, 16> full = {0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8};
  EXPECT_EQ(Ip("1:2:3:4:5:6:7:8").bytes, full);
  std::array<uint8_t, 16> mixed = {0x12, 0x34, 0xab, 0xcd, 0, 0, 0,    0,
                                   0,    0,    0,    0,    0, 0, 0xff, 0xee};
  EXPECT_EQ(Ip("1234:ABCD::FFEE").bytes, mixed);
  EXPECT_EQ(Ip("1234:abcd::ffee").bytes, mixed);
  EXPECT_EQ(Ip("Fe80::aBcD"), Ip("fe80::abcd"));

  EXPECT_TRUE(Ip("1:2:3:4:5:6:7::").IsIpv6());
  EXPECT_TRUE(Ip("::2:3:4:5:6:7:8").IsIpv6());
  EXPECT_TRUE(Ip("1::3:4:5:6:7:8").IsIpv6());
  EXPECT_TRUE(Ip("1:2:3:4::5:6:7").IsIpv6());
  EXPECT_TRUE(Ip("0000::").IsIpv6());
  EXPECT_TRUE(Ip("::ffff:0:0").IsIpv6());

  EXPECT_EQ(Ip("::/0").prefix, 0);
  EXPECT_EQ(Ip("::/128").prefix, 128);
  EXPECT_EQ(Ip("1:2:3:4:5:6:7:8/64").prefix, 64);
  EXPECT_EQ(Ip("1:2:3:4::/48").prefix, 48);
}

TEST(IpAddrTest, RejectsMalformedIpv6) {
  for (const char* text : {"1:2:3:4:5:6:7:8:9",
                           "1:2:3:4:5:6:7",
                           "1:2:3:4:5:6:7:8::",
                           "::1:2:3:4:5:6:7:8",
                           "1:2:3::4:5:6:7:8",
                           "1::2::3",
                           ":::",
                           ":1::",
                           "1::1:",
                           ":1:2:3:4:5:6:7",
                           "1:2:3:4:5:6:7:",
                           "1:2:3:4:5:6:7:8:",
                           ":",
                           "::1::",
                           "1:::2",
                           "fe80::1%eth0",
                           "fe80::1%1",
                           "::%1",
                           "12345::",
                           "01234::",
                           "00000::",
                           "[::1]",
                           "g::1",
                           "fzz::1",
                           "1:2:3:4:5:6:7:g",
                           " ::1",
                           "::1 ",
                           "1.2.3.4:80",
                           "fee::/64::1"}) {
    std::string message = ErrorOf(text);
    EXPECT_TRUE(message.find("not a valid IPv6 address") != std::string::npos ||
                message.find("prefix length") != std::string::npos)
        << text << ": " << message;
  }
  EXPECT_NE(ErrorOf("::1/129").find("at most 128"), std::string::npos);
  EXPECT_NE(ErrorOf("1:2:3:4:5:6:7:8/200").find("at most 128"), std::string::npos);
  EXPECT_NE(ErrorOf("::/01").find("leading zeros"), std::string::npos);
  EXPECT_NE(ErrorOf("::1/0128").find("leading zeros"), std::string::npos);
  EXPECT_NE(ErrorOf("::/+1").find("decimal number"), std::string::npos);
  EXPECT_NE(ErrorOf("::1/1.0").find("decimal number"), std::string::npos);
  EXPECT_NE(ErrorOf("::1/128%1").find("decimal number"), std::string::npos);
  EXPECT_NE(ErrorOf("::1/").find("missing prefix length"), std::string::npos);
}

TEST(IpAddrTest, RejectsEmbeddedIpv4) {
  for (const char* text : {"::ffff:1.2.3.4", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "::ffff:127.0.0.1",
                           "::ffff:1.2.3.4/200"}) {
    EXPECT_NE(ErrorOf(text).find("embedded IPv4"), std::string::npos) << text;
  }
}

TEST(IpAddrTest, EqualityKeepsHostBitsAndPrefix) {
  EXPECT_EQ(Ip("127.0.0.1"), Ip("127.0.0.1"));
  EXPECT_EQ(Ip("1.2.3.4"), Ip("1.2.3.4/32"));
  EXPECT_EQ(Ip("::1"), Ip("::1/128"));
  EXPECT_EQ(Ip("10.0.0.1/24"), Ip("10.0.0.1/24"));
  EXPECT_NE(Ip("10.0.0.1/24"), Ip("10.0.0.0/24"));
  EXPECT_NE(Ip("192.168.0.1/24"), Ip("192.168.0.8/24"));
  EXPECT_NE(Ip("0.0.0.0/0"), Ip("0.0.0.0"));
  EXPECT_NE(Ip("1.2.3.4/0"), Ip("0.0.0.0/0"));
  EXPECT_NE(Ip("127.0.0.1"), Ip("::1"));
  EXPECT_NE(Ip("::ffff:102:304"), Ip("1.2.3.4"));
}

TEST(IpAddrTest, LoopbackCoversTheWholeRange) {
  EXPECT_TRUE(Ip("127.0.0.1").IsLoopback());
  EXPECT_TRUE(Ip("127.0.0.2").IsLoopback());
  EXPECT_TRUE(Ip("127.255.255.255").IsLoopback());
  EXPECT_TRUE(Ip("127.0.0.1/8").IsLoopback());
  EXPECT_FALSE(Ip("127.0.0.1/7").IsLoopback());  // the range reaches outside 127.0.0.0/8
  EXPECT_FALSE(Ip("128.0.0.1").IsLoopback());
  EXPECT_FALSE(Ip("126.0.0.1/6").IsLoopback());
  EXPECT_FALSE(Ip("0.0.0.0/0").IsLoopback());
  EXPECT_TRUE(Ip("::1").IsLoopback());
  EXPECT_FALSE(Ip("::1/127").IsLoopback());
  EXPECT_FALSE(Ip("::1/0").IsLoopback());
  EXPECT_FALSE(Ip("::0/127").IsLoopback());
  EXPECT_FALSE(Ip("::").IsLoopback());
  EXPECT_FALSE(Ip("::2").IsLoopback());
  EXPECT_FALSE(Ip("::ffff:7f00:1").IsLoopback());  // IPv4-mapped 127.0.0.1 is not loopback
}

TEST(IpAddrTest, MulticastCoversTheWholeRange) {
  EXPECT_TRUE(Ip("224.0.0.0").IsMulticast());
  EXPECT_TRUE(Ip("239.255.255.255").IsMulticast());
  EXPECT_TRUE(Ip("224.0.0.1/4").IsMulticast());
  EXPECT_FALSE(Ip("224.0.0.1/3").IsMulticast());
  EXPECT_FALSE(Ip("192.0.0.1/1").IsMulticast());
  EXPECT_FALSE(Ip("240.0.0.0").IsMulticast());
  EXPECT_FALSE(Ip("223.255.255.255").IsMulticast());
  EXPECT_FALSE(Ip("127.0.0.1").IsMulticast());
  EXPECT_TRUE(Ip("ff00::").IsMulticast());
  EXPECT_TRUE(Ip("ff00::2").IsMulticast());
  EXPECT_TRUE(Ip("ffff::ffff").IsMulticast());
  EXPECT_TRUE(Ip("ff00::/8").IsMulticast());
  EXPECT_FALSE(Ip("ff00::/7").IsMulticast());
  EXPECT_FALSE(Ip("feff::").IsMulticast());
  EXPECT_FALSE(Ip("::ffff:e000:1").IsMulticast());
  EXPECT_FALSE(Ip("::").IsMulticast());
}

TEST(IpAddrTest, IsInRange) {
  auto in = [](std::string_view a, std::string_view b) { return Ip(a).IsInRange(Ip(b)); };
  EXPECT_TRUE(in("192.168.0.1", "192.168.0.1/24"));
  EXPECT_TRUE(in("192.168.0.1", "192.168.0.1/28"));
  EXPECT_TRUE(in("192.168.0.75", "192.168.0.1/24"));
  EXPECT_FALSE(in("192.168.0.75", "192.168.0.1/28"));
  EXPECT_TRUE(in("1.2.3.4", "1.2.3.4"));
  EXPECT_FALSE(in("1.2.3.4", "1.2.3.5"));
  EXPECT_TRUE(in("1.2.3.4", "1.2.3.0/24"));
  EXPECT_TRUE(in("1.2.3.4", "1.2.3.99/24"));
  EXPECT_FALSE(in("1.2.3.4/24", "1.2.3.4"));
  EXPECT_TRUE(in("1.2.3.4/24", "1.2.3.4/24"));
  EXPECT_TRUE(in("1.2.3.4/24", "1.2.3.5/24"));
  EXPECT_TRUE(in("1.2.3.4/24", "1.2.0.0/16"));
  EXPECT_FALSE(in("1.2.3.4/16", "1.2.3.0/24"));
  EXPECT_TRUE(in("1.2.3.4/24", "0.0.0.0/0"));
  EXPECT_TRUE(in("0.0.0.0/0", "255.255.255.255/0"));
  EXPECT_TRUE(in("255.255.255.255/1", "128.0.0.0/1"));
  EXPECT_TRUE(in("1.2.3.4/9", "1.0.0.0/8"));
  EXPECT_FALSE(in("1.2.3.4/8", "1.2.3.4/9"));
  EXPECT_TRUE(in("1.128.0.0/9", "1.2.3.4/8"));
  EXPECT_TRUE(in("127.0.0.1/32", "127.0.0.0/8"));
  // Families never mix, not even through IPv4-mapped addresses.
  EXPECT_FALSE(in("1.2.3.4", "::/0"));
  EXPECT_FALSE(in("::1", "0.0.0.0/0"));
  EXPECT_FALSE(in("192.168.0.1", "1:2:3:4::"));
  EXPECT_FALSE(in("::ffff:102:304", "1.2.3.4/32"));
  EXPECT_FALSE(in("1.2.3.4", "::ffff:0:0/96"));
  EXPECT_TRUE(in("::1", "::/0"));
  EXPECT_TRUE(in("::1", "::/127"));
  EXPECT_TRUE(in("::1/127", "::/127"));
  EXPECT_FALSE(in("::1/126", "::/127"));
  EXPECT_TRUE(in("1:2:3:4::", "1:2:3:4::/48"));
  EXPECT_FALSE(in("1:2:3:4::/48", "1:2:ffff::/48"));
  EXPECT_TRUE(in("1:2:3:4::/48", "1:2:3:ffff::/48"));
  EXPECT_TRUE(in("ff00::1/8", "ff00::/8"));
}

TEST(IpAddrTest, ToString) {
  auto str = [](std::string_view s) { return Ip(s).ToString(); };
  EXPECT_EQ(str("192.168.1.100"), "192.168.1.100");
  EXPECT_EQ(str("10.0.0.1/24"), "10.0.0.1/24");
  EXPECT_EQ(str("1.2.3.4/32"), "1.2.3.4");
  EXPECT_EQ(str("0.0.0.0/0"), "0.0.0.0/0");
  EXPECT_EQ(str("::"), "::");
  EXPECT_EQ(str("::1"), "::1");
  EXPECT_EQ(str("1::"), "1::");
  EXPECT_EQ(str("0:0:0:0:0:0:0:1/128"), "::1");
  EXPECT_EQ(str("FFFF::1/64"), "ffff::1/64");
  EXPECT_EQ(str("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8");
  EXPECT_EQ(str("1:0:2:3:4:5:6:7"), "1:0:2:3:4:5:6:7");  // a single zero group stays
  EXPECT_EQ(str("1:0:0:2:0:0:0:3"), "1:0:0:2::3");       // the longest run is compressed
  EXPECT_EQ(str("1:0:0:2:3:0:0:4"), "1::2:3:0:0:4");     // the first of equal runs
  EXPECT_EQ(str("0abc:00de:f::"), "abc:de:f::");
  EXPECT_EQ(str("::ffff:102:304"), "::ffff:102:304");  // never in dotted form, which is rejected
}

TEST(IpAddrTest, ToStringParsesBack) {
  for (const char* text :
       {"0.0.0.0", "255.255.255.255/1", "10.0.0.1/24", "::", "::1/127", "1::/0", "ff00::2",
        "1:2:3:4:5:6:7:8/64", "1:0:0:2:3:0:0:4", "0:0:1::", "::ffff:7f00:1", "fe80::1:0:0:0"}) {
    IpAddr ip = Ip(text);
    auto back = IpAddr::Parse(ip.ToString());
    ASSERT_TRUE(back.ok()) << text << " printed as " << ip.ToString();
    EXPECT_EQ(*back, ip) << text;
  }
}

}  // namespace
}  // namespace cedar
