// Boost.URL compiled here rather than linked from Debian's libboost_url, for the reasons
// boost_json.cpp gives: the route table decodes path parameters with it.
#include <boost/url/src.hpp>
