"""A product created through the API lands in MariaDB and replicates to both masters."""

from conftest import DB1, DB2, other_host, product_names, request, unique
from request_stream import wait_until

testinfra_hosts = ["ansible://demo-lb1"]


def test_a_product_created_through_the_api_is_on_both_masters(host):
    name = unique("product")
    answer = request("POST", "/products/", document={"name": name, "price": 12.5})
    assert answer.status == 201, answer.body
    assert answer.json()["name"] == name
    for db in (other_host(host, DB1), other_host(host, DB2)):
        wait_until(lambda db=db: name in product_names(db), 30, f"{name} on {db.backend.host}")


def test_the_api_lists_the_new_product(host):
    name = unique("product")
    assert request("POST", "/products/", document={"name": name, "price": 3}).status == 201
    listed = request("GET", f"/products/?{unique()}").json()
    assert name in [product["name"] for product in listed]
