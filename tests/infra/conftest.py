"""Fixtures for infra tests: fake AWS credentials, moto, and a two-account, two-region estate."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field

import boto3
import pytest
from moto import mock_aws

from apps.costs.models import AwsAccount
from apps.infra.sources import shared_loader

ACCOUNT_A = "123456789012"  # moto's default account: reached with the default credentials
ACCOUNT_B = "111111111111"  # reached by assuming a role through STS
ROLE_B = f"arn:aws:iam::{ACCOUNT_B}:role/PortalInventory"
REGIONS = ["us-east-1", "eu-west-1"]


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """The world fixture hashes ten passwords; PBKDF2 makes that the slowest part of a test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def aws_env(monkeypatch, settings):
    """Fake credentials; no endpoint override; nothing can reach the internet."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
        "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",  # parsing every region's AMI list is slow; unused here
    }.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(key, raising=False)
    settings.AWS_ENDPOINT_URL = None


@pytest.fixture
def moto_aws(aws_env):
    with mock_aws():
        yield


def _shared(session: boto3.session.Session) -> boto3.session.Session:
    session._session.register_component("data_loader", shared_loader())  # parse service models once
    return session


def session_for(account_id: str, region: str = "us-east-1") -> boto3.session.Session:
    if account_id == ACCOUNT_A:
        return _shared(boto3.session.Session(region_name=region))
    creds = _shared(boto3.session.Session(region_name=region)).client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/Setup", RoleSessionName="test-setup")["Credentials"]
    return _shared(boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"], region_name=region))


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("handler.py", "def handle(event, context):\n    return 1\n")
    return buf.getvalue()


@dataclass
class Estate:
    """What the test created in moto, by account: arns per kind."""

    arns: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)

    def add(self, kind: str, arn: str, key: str | None = None, native: str | None = None) -> None:
        self.arns.setdefault(kind, set()).add(arn)
        if key:
            self.ids[key] = native or arn


def build_estate(world) -> Estate:
    """Account A: us-east-1 holds an instance tagged for alpha, a stopped untagged one, a spare
    volume, an RDS instance, a Lambda function, an EKS cluster, a load balancer and two buckets
    (one empty); eu-west-1 one instance. Account B (assumed role): an RDS cluster and a function
    in us-east-1, an EKS cluster in eu-west-1 and a bucket there."""
    e = Estate()
    for account_id in (ACCOUNT_A, ACCOUNT_B):
        iam = session_for(account_id).client("iam")
        role_arn = iam.create_role(RoleName="service-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        e.ids[f"role-{account_id}"] = role_arn

    a = session_for(ACCOUNT_A)
    ec2 = a.client("ec2")
    web = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.large", TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web-1"}, {"Key": "team", "Value": "alpha"}]}],
    )["Instances"][0]
    idle = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="m5.xlarge")["Instances"][0]
    ec2.stop_instances(InstanceIds=[idle["InstanceId"]])
    spare = ec2.create_volume(AvailabilityZone="us-east-1a", Size=100, VolumeType="gp3", TagSpecifications=[
        {"ResourceType": "volume", "Tags": [{"Key": "team", "Value": "beta"}]}])
    for inst, key in ((web, "web"), (idle, "idle")):
        e.add("ec2_instance", f"arn:aws:ec2:us-east-1:{ACCOUNT_A}:instance/{inst['InstanceId']}", key, inst["InstanceId"])
        for m in inst["BlockDeviceMappings"]:
            e.add("ebs_volume", f"arn:aws:ec2:us-east-1:{ACCOUNT_A}:volume/{m['Ebs']['VolumeId']}")
    e.add("ebs_volume", f"arn:aws:ec2:us-east-1:{ACCOUNT_A}:volume/{spare['VolumeId']}", "spare", spare["VolumeId"])
    rds = a.client("rds")
    db = rds.create_db_instance(DBInstanceIdentifier="orders-db", DBInstanceClass="db.t3.medium", Engine="postgres",
                                MasterUsername="admin1", MasterUserPassword="password123", AllocatedStorage=50,
                                Tags=[{"Key": "team", "Value": "alpha"}])["DBInstance"]
    e.add("rds_instance", db["DBInstanceArn"])
    fn = a.client("lambda").create_function(
        FunctionName="resize-images", Runtime="python3.12", Role=e.ids[f"role-{ACCOUNT_A}"], Handler="handler.handle",
        Code={"ZipFile": _zip()}, MemorySize=256, Tags={"team": "alpha"})
    e.add("lambda_function", fn["FunctionArn"])
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    eks = a.client("eks").create_cluster(name="apps", roleArn=e.ids[f"role-{ACCOUNT_A}"],
                                         resourcesVpcConfig={"subnetIds": subnets}, tags={"team": "beta"})
    e.add("eks_cluster", eks["cluster"]["arn"])
    lb = a.client("elbv2").create_load_balancer(Name="public-web", Subnets=subnets,
                                                Tags=[{"Key": "team", "Value": "alpha"}])["LoadBalancers"][0]
    e.add("load_balancer", lb["LoadBalancerArn"])
    s3 = a.client("s3")
    s3.create_bucket(Bucket="alpha-assets")
    s3.put_bucket_tagging(Bucket="alpha-assets", Tagging={"TagSet": [{"Key": "team", "Value": "alpha"}]})
    s3.put_object(Bucket="alpha-assets", Key="logo.png", Body=b"png")
    s3.create_bucket(Bucket="forgotten-exports")
    e.add("s3_bucket", "arn:aws:s3:::alpha-assets")
    e.add("s3_bucket", "arn:aws:s3:::forgotten-exports", "empty-bucket", "forgotten-exports")
    eu = session_for(ACCOUNT_A, "eu-west-1").client("ec2")
    far = eu.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.small")["Instances"][0]
    e.add("ec2_instance", f"arn:aws:ec2:eu-west-1:{ACCOUNT_A}:instance/{far['InstanceId']}", "far", far["InstanceId"])
    for m in far["BlockDeviceMappings"]:
        e.add("ebs_volume", f"arn:aws:ec2:eu-west-1:{ACCOUNT_A}:volume/{m['Ebs']['VolumeId']}")

    b = session_for(ACCOUNT_B)
    cluster = b.client("rds").create_db_cluster(
        DBClusterIdentifier="warehouse", Engine="aurora-postgresql", MasterUsername="admin1",
        MasterUserPassword="password123", Tags=[{"Key": "owner-team", "Value": "Data"}])["DBCluster"]
    e.add("rds_cluster", cluster["DBClusterArn"])
    fn_b = b.client("lambda").create_function(
        FunctionName="etl-trigger", Runtime="python3.12", Role=e.ids[f"role-{ACCOUNT_B}"], Handler="handler.handle",
        Code={"ZipFile": _zip()}, Tags={"team": "data"})
    e.add("lambda_function", fn_b["FunctionArn"])
    b_eu = session_for(ACCOUNT_B, "eu-west-1")
    b_subnets = [s["SubnetId"] for s in b_eu.client("ec2").describe_subnets()["Subnets"]][:2]
    eks_b = b_eu.client("eks").create_cluster(name="ml-training", roleArn=e.ids[f"role-{ACCOUNT_B}"],
                                              resourcesVpcConfig={"subnetIds": b_subnets})
    e.add("eks_cluster", eks_b["cluster"]["arn"])
    b_eu.client("s3").create_bucket(Bucket="data-lake-raw",
                                    CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    b_eu.client("s3").put_object(Bucket="data-lake-raw", Key="2026/11/30.parquet", Body=b"x")
    e.add("s3_bucket", "arn:aws:s3:::data-lake-raw")
    return e


@pytest.fixture
def accounts(world):
    a = AwsAccount.objects.create(account_id=ACCOUNT_A, name="Production", regions=REGIONS,
                                  default_team=world.teams["beta"])
    b = AwsAccount.objects.create(account_id=ACCOUNT_B, name="Data", regions=REGIONS, role_arn=ROLE_B,
                                  default_team=world.teams["data"])
    return {"a": a, "b": b}


@pytest.fixture
def estate(moto_aws, world, accounts) -> Estate:
    return build_estate(world)
